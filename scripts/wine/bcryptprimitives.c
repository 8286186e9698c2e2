/*
 * bcryptprimitives.dll for Wine 8: the Go runtime (1.22 and later) needs
 * ProcessPrng, which Wine 8 does not export. This implements it with
 * advapi32!SystemFunction036 (RtlGenRandom), which takes a ULONG length,
 * hence the chunks. Built by scripts/windows-wine.sh with mingw-w64; used
 * only to run ptacheck's Windows build under Wine in tests.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
