/*
 * office_macro.yar: Office documents with macros that run on opening,
 * still the most common way malware reaches an office through mail.
 *
 * What the rules check, honestly:
 *  - Old formats (.doc, .xls, .ppt: OLE compound files). The strings are
 *    searched in the raw file, with no OLE parsing and no decompression
 *    of the VBA source. That works because a VBA project keeps the names
 *    its code uses (AutoOpen, Shell, CreateObject) uncompressed in its
 *    _VBA_PROJECT stream (the identifier table of the compiled code). A
 *    project whose identifier table was removed or mangled is missed.
 *  - New formats (.docm, .xlsm, .pptm: ZIP). The macro project is the
 *    part vbaProject.bin, whose content is compressed inside the ZIP, so
 *    the rule sees only that a macro project is there, from the part
 *    name in the ZIP headers, not whether it runs on opening.
 */

rule Office_OLE_AutoExec_Macro
{
	meta:
		description = "Office document (OLE: .doc/.xls/.ppt) with a VBA macro that runs on opening or closing and starts programs or objects"
		severity = 1
		category = "Macro"
		author = "vigil"

	strings:
		$vba = "_VBA_PROJECT" wide
		$auto1 = "AutoOpen" nocase
		$auto2 = "Auto_Open" nocase
		$auto3 = "Document_Open" nocase
		$auto4 = "Workbook_Open" nocase
		$auto5 = "AutoExec" nocase
		$auto6 = "AutoClose" nocase
		$auto7 = "Document_Close" nocase
		$auto8 = "Workbook_BeforeClose" nocase
		$run1 = "Shell" nocase
		$run2 = "CreateObject" nocase
		$run3 = "URLDownloadToFile" nocase
		$run4 = "GetObject" nocase

	condition:
		uint32be(0) == 0xD0CF11E0 and uint32be(4) == 0xA1B11AE1 and
		$vba and 1 of ($auto*) and 1 of ($run*)
}

rule Office_OOXML_VBA_Project
{
	meta:
		description = "Office Open XML document (ZIP: .docm/.xlsm/.pptm) carrying a VBA macro project (vbaProject.bin); whether it runs on opening is not checked"
		severity = 2
		category = "Macro"
		author = "vigil"

	strings:
		$part1 = "word/vbaProject.bin"
		$part2 = "xl/vbaProject.bin"
		$part3 = "ppt/vbaProject.bin"

	condition:
		uint32(0) == 0x04034B50 and 1 of ($part*)
}
