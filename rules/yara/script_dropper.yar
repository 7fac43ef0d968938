/*
 * script_dropper.yar: scripts that fetch and start the real malware,
 * usually the attachment or the link target of a phishing mail (.ps1,
 * .vbs, .js, .hta, .bat, shortcuts).
 *
 *  - PowerShell started with an encoded command: any abbreviation of
 *    -EncodedCommand (-e, -ec, -enc, ...) followed by a long Base64 blob.
 *  - PowerShell that downloads text and runs it (IEX of DownloadString,
 *    or iwr/irm piped to iex). Some legitimate installers do exactly this
 *    (Chocolatey, Scoop): they are reported too, at severity 2.
 *  - VBScript/JScript downloaders: an XMLHTTP/WinHttp request plus either
 *    ADODB.Stream saving to a file or WScript.Shell/Shell.Application to
 *    run it. Executables, OLE documents and ZIPs are excluded (macros are
 *    office_macro.yar's).
 */

rule Script_PowerShell_EncodedCommand
{
	meta:
		description = "PowerShell started with an encoded (Base64) command, hiding what it runs"
		severity = 2
		category = "Dropper"
		author = "vigil"

	strings:
		// powershell[.exe] [other options] -e|-ec|-en|...|-EncodedCommand BASE64
		$enc1 = /powershell(\.exe)?["']?[ \t]([^\r\n]{0,200}[ \t])?[\-\/]e(c|n|nc|nco|ncod|ncode|ncoded|ncodedc|ncodedco|ncodedcom|ncodedcomm|ncodedcomma|ncodedcomman|ncodedcommand)?[ \t]+["']?[A-Za-z0-9+\/]{40}/ nocase ascii wide
		$enc2 = /pwsh(\.exe)?["']?[ \t]([^\r\n]{0,200}[ \t])?[\-\/]e(c|n|nc|nco|ncod|ncode|ncoded|ncodedc|ncodedco|ncodedcom|ncodedcomm|ncodedcomma|ncodedcomman|ncodedcommand)?[ \t]+["']?[A-Za-z0-9+\/]{40}/ nocase ascii wide

	condition:
		filesize < 5MB and 1 of ($enc*)
}

rule Script_PowerShell_Download_Execute
{
	meta:
		description = "PowerShell that downloads code and runs it (IEX with DownloadString, or iwr/irm piped to iex)"
		severity = 2
		category = "Dropper"
		author = "vigil"

	strings:
		$iex = /\b(iex|invoke-expression)\b/ nocase ascii wide
		$wc = "Net.WebClient" nocase ascii wide
		$dl1 = /\.DownloadString\s*\(/ nocase ascii wide
		$dl2 = /\.DownloadData\s*\(/ nocase ascii wide
		$pipe = /\b(iwr|irm|invoke-webrequest|invoke-restmethod)\b[^\r\n|]{1,200}\|\s*(iex|invoke-expression)\b/ nocase ascii wide

	condition:
		filesize < 5MB and $iex and (($wc and 1 of ($dl*)) or $pipe)
}

rule Script_VBS_JS_Downloader
{
	meta:
		description = "VBScript/JScript downloader: an HTTP request object with ADODB.Stream saving to disk or a shell object to run the result"
		severity = 2
		category = "Dropper"
		author = "vigil"

	strings:
		$obj1 = "CreateObject" nocase ascii wide
		$obj2 = "ActiveXObject" nocase ascii wide
		$http1 = "MSXML2.XMLHTTP" nocase ascii wide
		$http2 = "Microsoft.XMLHTTP" nocase ascii wide
		$http3 = "MSXML2.ServerXMLHTTP" nocase ascii wide
		$http4 = "WinHttp.WinHttpRequest" nocase ascii wide
		$stream = "ADODB.Stream" nocase ascii wide
		$save = "SaveToFile" nocase ascii wide
		$shell1 = "WScript.Shell" nocase ascii wide
		$shell2 = "Shell.Application" nocase ascii wide

	condition:
		filesize < 2MB and
		not (uint16(0) == 0x5A4D or uint32(0) == 0x464C457F or
		     uint32(0) == 0x04034B50 or uint32(0) == 0xE011CFD0) and
		1 of ($obj*) and 1 of ($http*) and
		(($stream and $save) or 1 of ($shell*))
}
