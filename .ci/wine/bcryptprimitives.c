/* A stand-in for Windows' bcryptprimitives.dll, for running fanout's
 * Windows build under Wine 8 on the test machine only: Wine 8 lacks the
 * DLL, and Rust's std asks it for ProcessPrng, which every Windows 10 and
 * later has, so every Rust program fails to start (status c0000135).
 * ProcessPrng here is RtlGenRandom (advapi32's SystemFunction036), the
 * system's generator that Wine does have. Never shipped: the runner
 * (.ci/wine/run) builds it with mingw-w64 into the test prefix. */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
