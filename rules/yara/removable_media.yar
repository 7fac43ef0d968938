/*
 * removable_media.yar: what USB sticks carry from one office PC to the
 * next: autorun.inf files that start a program, and Windows executables.
 *
 * The executable rule uses the external variable filepath (the folder of
 * the file, set by vigil for every file it scans, as LOKI and THOR do):
 * it fires only under /media/ (where Debian mounts removable media, and
 * /run/media/ elsewhere). Run by the yara command, give it
 * -d filepath=... or it never fires.
 */

rule Autorun_Inf_Launches_Program
{
	meta:
		description = "autorun.inf that starts a program (open=, shellexecute= or a shell command), the classic USB worm launcher"
		severity = 2
		category = "Removable media"
		author = "vigil"

	strings:
		$section = "[autorun]" nocase
		$launch = /[\r\n][ \t]*(open|shellexecute|shell\\[^\\\r\n]{1,64}\\command)[ \t]*=/ nocase

	condition:
		filesize < 64KB and $section and $launch
}

rule Removable_Media_PE_Executable
{
	meta:
		description = "Windows executable (MZ with a PE header) on removable media (a folder under /media/)"
		severity = 3
		category = "Removable media"
		author = "vigil"

	condition:
		uint16(0) == 0x5A4D and filesize >= 64 and
		uint32(0x3C) <= filesize - 4 and
		uint32(uint32(0x3C)) == 0x00004550 and
		filepath contains "/media/"
}
