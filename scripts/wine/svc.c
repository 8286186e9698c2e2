/*
 * A Windows service that does nothing: it reports SERVICE_RUNNING until the
 * service manager asks it to stop. scripts/windows-wine.sh registers it under
 * the names of the PTA agent, its Updater, the App Proxy connector and
 * Entra Connect (sc create NAME binPath= ...) so that they show as running.
 * Any service name works: the dispatcher table uses an empty name, which a
 * SERVICE_WIN32_OWN_PROCESS service may.
 */
#include <windows.h>

static SERVICE_STATUS_HANDLE status_handle;
static SERVICE_STATUS status;
static HANDLE stop_event;

static void report(DWORD state)
{
	status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
	status.dwCurrentState = state;
	status.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP : 0;
	status.dwWin32ExitCode = NO_ERROR;
	SetServiceStatus(status_handle, &status);
}

static DWORD WINAPI handler(DWORD control, DWORD type, LPVOID data, LPVOID ctx)
{
	(void)type; (void)data; (void)ctx;
	if (control == SERVICE_CONTROL_STOP || control == SERVICE_CONTROL_SHUTDOWN) {
		report(SERVICE_STOP_PENDING);
		SetEvent(stop_event);
	}
	return NO_ERROR;
}

static void WINAPI service_main(DWORD argc, LPWSTR *argv)
{
	(void)argc;
	status_handle = RegisterServiceCtrlHandlerExW(argv[0], handler, NULL);
	if (!status_handle)
		return;
	stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
	report(SERVICE_RUNNING);
	WaitForSingleObject(stop_event, INFINITE);
	report(SERVICE_STOPPED);
}

int main(void)
{
	static WCHAR name[] = L"";
	SERVICE_TABLE_ENTRYW table[] = {{name, service_main}, {NULL, NULL}};
	return StartServiceCtrlDispatcherW(table) ? 0 : 1;
}
