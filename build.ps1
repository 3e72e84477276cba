#!/usr/bin/env pwsh
# Build entry point. Targets: restore, build, test, bench, publish-gpu, native, install, run-default, emulator.
# Each target is also a plain dotnet command (see README); this script adds the test summary line
# that CI reads and the self-contained publish for GPU machines.
param(
    [Parameter(Position = 0)]
    [ValidateSet('restore', 'build', 'test', 'bench', 'publish-gpu', 'native', 'install', 'run-default', 'emulator')]
    [string]$Target = 'build',
    [string]$Configuration = 'Release',
    [string]$Filter = '',
    [Parameter(ValueFromRemainingArguments = $true)]
    [string[]]$Rest = @()
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot

function Invoke-Dotnet([string[]]$Arguments) {
    & dotnet @Arguments
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Ensure-Clang {
    # The test suite compile-checks kernels-cu with clang-14; install it where we can (CI runs as root).
    if (Get-Command clang-14 -ErrorAction SilentlyContinue) { return }
    if ((Get-Command apt-get -ErrorAction SilentlyContinue) -and ((& id -u) -eq '0')) {
        Write-Host 'installing clang-14 for the kernels-cu compile check'
        & apt-get update -qq *> $null
        & apt-get install -y -qq clang-14 *> $null
    }
    if (-not (Get-Command clang-14 -ErrorAction SilentlyContinue)) {
        Write-Warning 'clang-14 not available: the kernels-cu compile check will be skipped'
    }
}

function Ensure-Chromium {
    # The circuit viewer is tested in headless Chromium; install Debian's package where we can.
    if (Get-Command chromium -ErrorAction SilentlyContinue) { return }
    if ((Get-Command apt-get -ErrorAction SilentlyContinue) -and ((& id -u) -eq '0')) {
        Write-Host 'installing chromium for the circuit viewer test'
        & apt-get update -qq *> $null
        $env:DEBIAN_FRONTEND = 'noninteractive'
        & apt-get install -y -qq chromium *> $null
    }
    if (-not (Get-Command chromium -ErrorAction SilentlyContinue)) {
        Write-Warning 'chromium not available: the circuit viewer browser test will be skipped'
    }
}

function Build-Emulator {
    # The CUDA emulator (tests/CudaEmulator): stand-ins for libcuda, NVRTC, cuBLAS and NCCL built with g++, whose
    # NVRTC compiles kernels with clang-14. Returns the path of its env.sh, or null (with a warning) when it cannot be built.
    foreach ($tool in @('g++', 'clang-14')) {
        if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) {
            if ((Get-Command apt-get -ErrorAction SilentlyContinue) -and ((& id -u) -eq '0')) {
                Write-Host "installing $tool for the CUDA emulator"
                & apt-get update -qq *> $null
                & apt-get install -y -qq ($tool -eq 'g++' ? 'g++' : 'clang-14') *> $null
            }
        }
        if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) {
            Write-Warning "$tool not available: the CUDA emulator is not built and the GPU tests will be skipped"
            return $null
        }
    }
    & bash (Join-Path $PSScriptRoot 'tests/CudaEmulator/build.sh') (Join-Path $PSScriptRoot '.cuda-emulator') | Write-Host
    if ($LASTEXITCODE -ne 0) { throw 'building the CUDA emulator failed' }
    return (Join-Path $PSScriptRoot '.cuda-emulator/env.sh')
}

function Use-Emulator([string]$EnvFile) {
    # The same variables `source .cuda-emulator/env.sh` sets, for this process and the test host it starts.
    foreach ($line in Get-Content $EnvFile) {
        if ($line -match '^export ([A-Z_]+)="(.*)"$') { [Environment]::SetEnvironmentVariable($Matches[1], $Matches[2]) }
    }
}

switch ($Target) {
    'restore' { Invoke-Dotnet @('restore', 'EdgePruning.sln') }
    'build' { Invoke-Dotnet @('build', 'EdgePruning.sln', '-c', $Configuration) }
    'emulator' { $null = Build-Emulator }
    'test' {
        Ensure-Clang
        Ensure-Chromium
        # The GPU tests ([CudaFact], selftest --device cuda) run on the emulated GPU where there is no real one
        # (no NVIDIA driver tool, and no CUDA library named explicitly).
        if (-not $env:EDGEPRUNE_LIBCUDA -and -not (Get-Command nvidia-smi -ErrorAction SilentlyContinue)) {
            $emulator = Build-Emulator
            if ($emulator) { Use-Emulator $emulator }
        }
        $results = Join-Path $PSScriptRoot 'TestResults'
        if (Test-Path $results) { Remove-Item -Recurse -Force $results }
        $testArgs = @('test', 'tests/EdgePruning.Tests', '-c', $Configuration, '--logger', 'trx;LogFileName=results.trx',
            '--results-directory', $results)
        if ($Filter) { $testArgs += @('--filter', $Filter) }
        & dotnet @testArgs
        $code = $LASTEXITCODE
        $trx = Get-ChildItem -Path $results -Filter 'results.trx' -Recurse | Select-Object -First 1
        if (-not $trx) { Write-Host '0 passed, 1 failed'; throw 'no test results were written (build failure?)' }
        [xml]$xml = Get-Content $trx.FullName
        $c = $xml.TestRun.ResultSummary.Counters
        # The counters leave skipped tests out of every field but total: count them from the results.
        $skipped = @($xml.TestRun.Results.UnitTestResult | Where-Object { $_.outcome -eq 'NotExecuted' }).Count
        Write-Host ''
        Write-Host "$($c.passed) passed, $([int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted) failed, $skipped skipped"
        if ($code -ne 0) { exit $code }
    }
    'bench' { Invoke-Dotnet (@('run', '-c', 'Release', '--project', 'bench/EdgePruning.Bench', '--') + $Rest) }
    'publish-gpu' {
        Invoke-Dotnet @('publish', 'src/Cli', '-c', 'Release', '-r', 'linux-x64', '--self-contained',
            '-p:PublishSingleFile=true', '-p:EnableCompressionInSingleFile=true', '-o', '.gpu/bin')
        # The BenchmarkDotNet benchmarks run in-process there (no SDK). One compressed file with its native
        # libraries and no symbols: ~53 MB, small enough to travel to a device machine on its own.
        Invoke-Dotnet @('publish', 'bench/EdgePruning.Bench', '-c', 'Release', '-r', 'linux-x64', '--self-contained',
            '-p:PublishSingleFile=true', '-p:EnableCompressionInSingleFile=true', '-p:IncludeNativeLibrariesForSelfExtract=true',
            '-p:DebugType=none', '-o', '.gpu/bench')
    }
    'native' {
        # libedgeprune.so and its header for C, Python (python/edgeprune) and other frontends.
        # Compiled for this machine's instruction set, as the command is (install).
        Invoke-Dotnet @('publish', 'src/Native', '-c', 'Release', '-r', 'linux-x64', '-p:IlcInstructionSet=native', '-o', '.native')
    }
    'install' {
        # The edgeprune command compiled ahead of time (NativeAOT) into one native executable in .bin: it starts in
        # tens of milliseconds, with no JIT, where `dotnet run` spends seconds checking the build on every call.
        # Compiled for this machine's instruction set (AVX2/AVX-512 kernels; the default target would be SSE only).
        # Put .bin on PATH.
        Invoke-Dotnet @('publish', 'src/Cli', '-c', 'Release', '-p:IlcInstructionSet=native', '-o', '.bin')
        Write-Host "edgeprune installed in $PSScriptRoot/.bin; add it to PATH: export PATH=`"$PSScriptRoot/.bin:`$PATH`""
    }
    'run-default' {
        # No arguments: compiles the built-in xproportion RASP program, prunes it and checks the circuit against its ground truth.
        Invoke-Dotnet (@('run', '-c', 'Release', '--project', 'src/Cli', '--', 'prune') + $Rest)
    }
}
