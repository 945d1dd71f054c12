; Inno Setup 6 script for Filing Desk: a per-user install of the PyInstaller folder.
;
;   ISCC /DAppVersion=0.1.0 /DAppVersionNumeric=0.1.0.0 installer\filing-desk.iss
;
; (python scripts/build.py version [--numeric] prints both.) It expects the bundle in
; dist\FilingDesk (override with /DSourceDir=...) and writes dist\installer\.
; No administrator rights are needed: the app goes to
; %LOCALAPPDATA%\Programs\Filing Desk. The user's data folder
; (%LOCALAPPDATA%\filing-desk: database, logs, evidence, settings) is never touched
; by the installer, and the uninstaller deletes it only if the user says so.
; FIXME(packaging): written and reviewed on Linux; it has not been compiled or run
; here. The windows-build workflow compiles it on a Windows runner.

#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=1.2.3 /DAppVersionNumeric=1.2.3.0 ...
#endif
#ifndef AppVersionNumeric
  #define AppVersionNumeric "0.0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\dist\FilingDesk"
#endif

#define AppName "Filing Desk"
#define AppExe "FilingDesk.exe"
#define DataFolderName "filing-desk"

[Setup]
; Keep this id for ever: upgrades and the uninstaller find the install by it.
AppId={{8ACC315C-B8CC-46FC-9B8E-D8B4132BCE14}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
VersionInfoVersion={#AppVersionNumeric}
VersionInfoProductVersion={#AppVersionNumeric}
PrivilegesRequired=lowest
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
DisableDirPage=auto
UsePreviousAppDir=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\dist\installer
OutputBaseFilename=FilingDesk-{#AppVersion}-setup
SetupIconFile=..\resources\icons\filing-desk.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
; A running Filing Desk is closed (after asking) before its files are replaced.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the whole program folder, so no file of an old version lingers.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only the program folder; the user's data folder is handled in the code below.
Type: filesandordirs; Name: "{app}"

[Code]
function DataFolder(): String;
begin
  Result := ExpandConstant('{localappdata}\{#DataFolderName}');
end;

{ The data folder holds the filing database (with encrypted Aadhaar numbers), the
  logs, evidence screenshots and settings. It is kept unless the user explicitly
  answers Yes; a silent uninstall always keeps it. }
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and DirExists(DataFolder()) and
     (not UninstallSilent()) then
  begin
    if MsgBox('Filing Desk has been removed.' #13#10#13#10 +
              'Your filings, logs, screenshots and settings are still in:' #13#10 +
              DataFolder() + #13#10#13#10 +
              'Delete them too? This cannot be undone. Choose No to keep them ' +
              '(for example, to reinstall later).',
              mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
      DelTree(DataFolder(), True, True, True);
  end;
end;
