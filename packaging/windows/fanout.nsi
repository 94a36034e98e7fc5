; fanout's Windows setup, made on Linux with Debian's NSIS (makensis) by
; packaging/windows.sh, which passes VERSION, EXE (the release fanout.exe),
; ROOT (the repository) and OUT (the setup's path).
;
; A per-user install, as AB Download Manager's and Motrix's are: no
; administrator rights, everything under the user's own folders and the
; registry's HKCU. What it writes, and the uninstaller removes again:
;   %LOCALAPPDATA%\Programs\fanout\  fanout.exe, fanout.ico, the licences, Uninstall.exe
;   the Start menu entry  %APPDATA%\Microsoft\Windows\Start Menu\Programs\fanout.lnk
;   HKCU\Software\Classes\magnet      magnet: links open with fanout
;   HKCU\Software\Classes\.torrent    .torrent files open with fanout
;     (through the ProgID fanout.torrent; an association another program
;     already holds is left alone, and Windows asks the user once)
;   HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\fanout
;     so "Apps & features" lists it and can remove it
; The user's downloads, settings and queue (%APPDATA%\fanout,
; %LOCALAPPDATA%\fanout) are never touched: uninstalling keeps them, as
; every download manager does.

Unicode true
Target amd64-unicode
SetCompressor /SOLID lzma
RequestExecutionLevel user

!define APP "fanout"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP}"

Name "${APP} ${VERSION}"
OutFile "${OUT}"
InstallDir "$LOCALAPPDATA\Programs\${APP}"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
ShowInstDetails show

!include "MUI2.nsh"
!define MUI_ICON "${ROOT}/target/windows/fanout.ico"
!define MUI_UNICON "${ROOT}/target/windows/fanout.ico"
!define MUI_FINISHPAGE_RUN "$INSTDIR\fanout.exe"
!insertmacro MUI_PAGE_LICENSE "${ROOT}/LICENSE-MIT"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "SimpChinese"

Section "fanout" Main
  SectionIn RO
  SetOutPath "$INSTDIR"
  File "/oname=fanout.exe" "${EXE}"
  File "${ROOT}/LICENSE-MIT"
  File "${ROOT}/LICENSE-APACHE"
  File "/oname=OFL.txt" "${ROOT}/assets/fonts/OFL.txt"
  ; The exe carries no icon resource: the shortcut and the associations
  ; take this one.
  File "${ROOT}/target/windows/fanout.ico"
  WriteUninstaller "$INSTDIR\Uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${APP}.lnk" "$INSTDIR\fanout.exe" "" "$INSTDIR\fanout.ico"

  ; magnet: links.
  WriteRegStr HKCU "Software\Classes\magnet" "" "URL:Magnet link"
  WriteRegStr HKCU "Software\Classes\magnet" "URL Protocol" ""
  WriteRegStr HKCU "Software\Classes\magnet\DefaultIcon" "" "$INSTDIR\fanout.ico"
  WriteRegStr HKCU "Software\Classes\magnet\shell\open\command" "" '"$INSTDIR\fanout.exe" "%1"'
  ; .torrent files, through a ProgID of fanout's own.
  WriteRegStr HKCU "Software\Classes\fanout.torrent" "" "BitTorrent file"
  WriteRegStr HKCU "Software\Classes\fanout.torrent\DefaultIcon" "" "$INSTDIR\fanout.ico"
  WriteRegStr HKCU "Software\Classes\fanout.torrent\shell\open\command" "" '"$INSTDIR\fanout.exe" "%1"'
  WriteRegStr HKCU "Software\Classes\.torrent\OpenWithProgids" "fanout.torrent" ""
  ReadRegStr $0 HKCU "Software\Classes\.torrent" ""
  StrCmp $0 "" 0 +2
    WriteRegStr HKCU "Software\Classes\.torrent" "" "fanout.torrent"

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "fanout maintainers"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\fanout.ico"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  Delete "$INSTDIR\fanout.exe"
  Delete "$INSTDIR\LICENSE-MIT"
  Delete "$INSTDIR\LICENSE-APACHE"
  Delete "$INSTDIR\OFL.txt"
  Delete "$INSTDIR\fanout.ico"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${APP}.lnk"

  ; Only what points at this fanout: another program's magnet: handler
  ; or .torrent association stays.
  ReadRegStr $0 HKCU "Software\Classes\magnet\shell\open\command" ""
  StrCmp $0 '"$INSTDIR\fanout.exe" "%1"' 0 +2
    DeleteRegKey HKCU "Software\Classes\magnet"
  DeleteRegKey HKCU "Software\Classes\fanout.torrent"
  DeleteRegValue HKCU "Software\Classes\.torrent\OpenWithProgids" "fanout.torrent"
  DeleteRegKey /ifempty HKCU "Software\Classes\.torrent\OpenWithProgids"
  ReadRegStr $0 HKCU "Software\Classes\.torrent" ""
  StrCmp $0 "fanout.torrent" 0 +2
    DeleteRegValue HKCU "Software\Classes\.torrent" ""
  DeleteRegKey /ifempty HKCU "Software\Classes\.torrent"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd
