<#
.SYNOPSIS
Runs one ptacheck phase as a deployment gate and returns its report as objects.

.DESCRIPTION
Invoke-PtaCheck.ps1 runs `ptacheck.exe <Phase> -o json --report-file <file>`, reads the report with
ConvertFrom-Json, writes one summary line to the host (verdict, exit code, counts, failing check IDs)
and then:

- verdict "ready" (exit 0): writes the report object to the pipeline;
- anything else: throws a terminating error whose TargetObject is the report object (default), or,
  with -PassThruExitCode, writes the report object and exits the script with ptacheck's exit code.

All checking logic lives in ptacheck and its JSON report; this script only maps parameters to flags.

ptacheck's exit codes, the same with and without -PassThruExitCode:
  0    ready
  1    not ready: at least one check failed (with -Strict also a warning)
  2    usage or input error: there is no report; the message is ptacheck's one line on stderr
  3    inconclusive: nothing failed, but a check could not be evaluated, or nothing was evaluated
  130  interrupted by Ctrl-C or Ctrl-Break; 143 by SIGTERM (on Windows: the console closing, logoff,
       shutdown): the partial report is still returned

The thrown error has ErrorId "PtaCheck.<verdict>" (PtaCheck.not-ready, PtaCheck.inconclusive,
PtaCheck.usage-error, ...) and Exception.Data['ExitCode']; it is thrown whatever -ErrorAction or
$ErrorActionPreference say, because a gate that can be silenced is no gate. Use -PassThruExitCode,
or try/catch, to decide yourself.

ptacheck's own stderr lines (the fixture note, warnings) are written to the host as they come.

.PARAMETER Phase
The checklist to run: install, register, verify (right after the installer and the registration: the agent runs
and the tenant lists it active), enable, uninstall, or operate (the health check of a running setup).

.PARAMETER IgnoreFailures
Check IDs whose failure is demoted to a warning (ptacheck --ignore-failures), or 'all'.

.PARAMETER Strict
Warnings fail the run (ptacheck --strict).

.PARAMETER ArgumentList
Further ptacheck flags, one array element per argument, e.g. @('--tenant-id', $tenantId, '--timeout', '5m').
-o/--output, --report-file and --report-format are set by this script and refused here.

.PARAMETER ReportPath
Keep the JSON report in this file. Default: a temporary file, deleted after it has been read.

.PARAMETER Path
The ptacheck executable. Default: $env:PTACHECK_EXE, else ptacheck.exe next to this script, else
ptacheck on PATH.

.PARAMETER PassThruExitCode
Do not throw: write the report object (if any) and end the script with `exit <ptacheck's code>`,
so `powershell.exe -File Invoke-PtaCheck.ps1 ...` and $LASTEXITCODE carry ptacheck's code.

.OUTPUTS
System.Management.Automation.PSCustomObject. The ptacheck JSON report (schema_version "1"):
verdict, exit_code, summary, checks (id, status, message, findings, remediation), ...

.EXAMPLE
PS> $report = .\Invoke-PtaCheck.ps1 install -ArgumentList '--tenant-id', $tenantId
PS> .\AADConnectAuthAgentSetup.exe REGISTERCONNECTOR="false" /q

Installs the agent only when the install checklist is ready; otherwise the script stops with
"ptacheck install: not-ready (exit 1): ...; failing: net.outbound-ports".

.EXAMPLE
PS> .\AADConnectAuthAgentSetup.exe REGISTERCONNECTOR="false" /q
PS> & 'C:\Program Files\Microsoft Azure AD Connect Authentication Agent\RegisterConnector.ps1' -modulePath 'C:\Program Files\Microsoft Azure AD Connect Authentication Agent\Modules\' -moduleName 'PassthroughAuthPSModule' -Authenticationmode Credentials -Usercredentials $cred -Feature PassthroughAuthentication
PS> $report = .\Invoke-PtaCheck.ps1 verify -ArgumentList '--tenant-id', $tenantId

Confirms that the registration worked: the agent and its Updater run and start automatically, the agent's
registry key names this tenant, and the tenant lists this server active; otherwise the script stops with
"ptacheck verify: not-ready (exit 1): ...; failing: tenant.this-agent-active".

.EXAMPLE
PS> try {
>>     .\Invoke-PtaCheck.ps1 uninstall -ReportPath C:\Logs\ptacheck-uninstall.json | Out-Null
>> } catch {
>>     $report = $_.TargetObject        # $null after a usage error (exit 2)
>>     "exit code: $($_.Exception.Data['ExitCode'])"
>>     $report.checks | Where-Object status -eq 'fail' | Select-Object id, message, remediation
>>     throw
>> }

Shows what failed, then stops anyway.

.EXAMPLE
PS> .\Invoke-PtaCheck.ps1 install -IgnoreFailures host.app-proxy-connector -Strict

Strict about warnings, but accepts the one known finding (an ignored failure does not trip -Strict).

.EXAMPLE
C:\> powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\Tools\Invoke-PtaCheck.ps1 register -PassThruExitCode > NUL
C:\> echo %ERRORLEVEL%

From cmd.exe or a CI step: the process exit code is ptacheck's (0, 1, 2, 3, 130).

.EXAMPLE
PS> .\Invoke-PtaCheck.ps1 install -ArgumentList '--fixture', 'ports-blocked' -PassThruExitCode | Out-Null; $LASTEXITCODE

Tries the gate against a built-in emulated environment: prints the summary line and 1.

.LINK
https://github.com/ptacheck/ptacheck#use-it-in-your-pipeline
#>
#Requires -Version 5.1
[CmdletBinding()]
[OutputType([pscustomobject])]
param(
    [Parameter(Mandatory = $true, Position = 0)]
    [ValidateSet('install', 'register', 'verify', 'enable', 'uninstall', 'operate')]
    [string] $Phase,

    [string[]] $IgnoreFailures,

    [switch] $Strict,

    [string[]] $ArgumentList = @(),

    [string] $ReportPath,

    [string] $Path,

    [switch] $PassThruExitCode
)

Set-StrictMode -Version 3.0
$Phase = $Phase.ToLowerInvariant()   # ValidateSet accepts 'Install'; ptacheck's commands are lower case
# ptacheck's exit code is handled below, never by PowerShell 7.3+'s native-command error handling.
$PSNativeCommandUseErrorActionPreference = $false

# Ends the script the way the caller chose: exit with ptacheck's code, or throw a terminating
# error that carries the report (TargetObject) and the code (Exception.Data['ExitCode']).
function Stop-Gate {
    param([int] $Code, [string] $Verdict, [string] $Message, [object] $Report,
          [System.Management.Automation.ErrorCategory] $Category)
    if ($PassThruExitCode) {
        if ($null -ne $Report) { $Report }
        exit $Code
    }
    $exception = [System.Exception]::new($Message)
    $exception.Data['ExitCode'] = $Code
    $record = [System.Management.Automation.ErrorRecord]::new($exception, "PtaCheck.$Verdict", $Category, $Report)
    # 'throw' obeys a SilentlyContinue preference (-ErrorAction SilentlyContinue): a gate must not.
    $ErrorActionPreference = 'Stop'
    throw $record
}

# --- which ptacheck -------------------------------------------------------------------------------
if (-not $Path) {
    $besideScript = Join-Path -Path $PSScriptRoot -ChildPath 'ptacheck.exe'
    $fromEnvironment = [System.Environment]::GetEnvironmentVariable('PTACHECK_EXE')
    if ($fromEnvironment) { $Path = $fromEnvironment }
    elseif (Test-Path -LiteralPath $besideScript -PathType Leaf) { $Path = $besideScript }
    else { $Path = 'ptacheck' }
}
$exe = Get-Command -Name $Path -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
if ($null -eq $exe) {
    Write-Host "ptacheck ${Phase}: usage error (exit 2): ptacheck executable not found: $Path"
    Stop-Gate -Code 2 -Verdict 'usage-error' -Message "ptacheck executable not found: $Path (use -Path or `$env:PTACHECK_EXE)" `
        -Report $null -Category ObjectNotFound
}

# --- arguments ------------------------------------------------------------------------------------
foreach ($a in $ArgumentList) {
    if ($a -match '^(-o|--output|--report-file|--report-format)(=.*)?$' -or $a -match '^-o.') {
        Write-Host "ptacheck ${Phase}: usage error (exit 2): $a is set by Invoke-PtaCheck.ps1"
        Stop-Gate -Code 2 -Verdict 'usage-error' -Message "$a is set by Invoke-PtaCheck.ps1 (use -ReportPath)" `
            -Report $null -Category InvalidArgument
    }
}
if ($ReportPath) {
    # Relative to PowerShell's location, which is not the process directory ptacheck would use.
    $reportFile = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($ReportPath)
} else {
    $reportFile = Join-Path -Path ([System.IO.Path]::GetTempPath()) `
        -ChildPath ('ptacheck-{0}-{1}.json' -f $Phase, [guid]::NewGuid().ToString('N'))
}
$ptaArgs = @($Phase, '-o', 'json', '--report-file', $reportFile)
if ($Strict) { $ptaArgs += '--strict' }
if ($IgnoreFailures) { $ptaArgs += @('--ignore-failures', ($IgnoreFailures -join ',')) }
$ptaArgs += $ArgumentList

# --- run ------------------------------------------------------------------------------------------
# stderr is merged (2>&1) so that each of its lines arrives as an ErrorRecord: shown as it comes,
# kept for exit 2. 'Continue' keeps Windows PowerShell 5.1 from turning the first stderr line into a
# terminating NativeCommandError when the caller's preference is 'Stop'. stdout repeats the report
# that --report-file writes and is dropped: the file is read as UTF-8 whatever the console code page.
$stderrLines = [System.Collections.Generic.List[string]]::new()
$exePath = $exe.Path
$global:LASTEXITCODE = $null
$savedPreference = $ErrorActionPreference
try {
    $ErrorActionPreference = 'Continue'
    & $exePath @ptaArgs 2>&1 | ForEach-Object {
        if ($_ -is [System.Management.Automation.ErrorRecord]) {
            $line = $_.Exception.Message.TrimEnd()
            $stderrLines.Add($line)
            Write-Host $line
        }
    }
    $code = $global:LASTEXITCODE
} finally {
    $ErrorActionPreference = $savedPreference
}
if ($null -eq $code) {
    # The program did not start (the reason is among the lines above).
    $message = "ptacheck ${Phase}: could not run $exePath"
    Write-Host $message
    Stop-Gate -Code 2 -Verdict 'usage-error' -Message $message -Report $null -Category ResourceUnavailable
}

if ($code -eq 2) {
    # A usage or input error: ptacheck wrote no report, only one line on stderr.
    $line = @($stderrLines | Where-Object { $_ -notmatch '^ptacheck: fixture mode' } | Select-Object -Last 1)
    $reason = if ($line.Count -gt 0) { $line[0] } else { '(ptacheck printed no error line)' }
    Write-Host "ptacheck ${Phase}: usage error (exit 2): $reason"
    Stop-Gate -Code 2 -Verdict 'usage-error' -Message $reason -Report $null -Category InvalidArgument
}

# --- report and summary line ----------------------------------------------------------------------
$report = $null
try {
    $report = Get-Content -LiteralPath $reportFile -Raw -Encoding UTF8 -ErrorAction Stop | ConvertFrom-Json -ErrorAction Stop
} catch {
    $report = $null
} finally {
    if (-not $ReportPath) { Remove-Item -LiteralPath $reportFile -Force -ErrorAction SilentlyContinue }
}
if ($null -eq $report -or $null -eq $report.PSObject.Properties['verdict']) {
    # Exit 0 without a readable report is not "ready".
    $failCode = if ($code -eq 0) { 3 } else { $code }
    $message = "ptacheck ${Phase}: no readable report (exit $code)"
    Write-Host $message
    Stop-Gate -Code $failCode -Verdict 'no-report' -Message $message -Report $null -Category InvalidResult
}

$s = $report.summary
$failing = @($report.checks | Where-Object { $_.status -eq 'fail' } | ForEach-Object { $_.id })
$errored = @($report.checks | Where-Object { $_.status -eq 'error' } | ForEach-Object { $_.id })
$interrupted = if ($report.interrupted) { ', interrupted' } else { '' }
$summary = 'ptacheck {0}: {1}{2} (exit {3}): {4} passed, {5} warnings, {6} failed, {7} skipped, {8} errors, {9} ignored' -f `
    $Phase, $report.verdict, $interrupted, $code, $s.pass, $s.warn, $s.fail, $s.skip, $s.error, $s.ignored
if ($failing.Count -gt 0) { $summary += '; failing: ' + ($failing -join ',') }
if ($errored.Count -gt 0) { $summary += '; errors: ' + ($errored -join ',') }
if ($report.PSObject.Properties['why'] -and $report.why) { $summary += '; why: ' + $report.why }
if ($ReportPath) { $summary += '; report: ' + $reportFile }
Write-Host $summary

if ($code -ne 0) {
    $category = if ($code -eq 1) { 'InvalidResult' } elseif ($code -eq 3) { 'NotSpecified' } else { 'OperationStopped' }
    Stop-Gate -Code $code -Verdict $report.verdict -Message $summary -Report $report -Category $category
}
if ($PassThruExitCode) {
    $report
    exit 0
}
$report
