/*
 * ransom_note.yar: the notes ransomware leaves in every folder it
 * encrypts (README.txt, HOW_TO_DECRYPT.html, ...). A note showing up on a
 * file share is often the first sign an office sees.
 *
 * A note says the files were encrypted, talks about decrypting, names a
 * way to pay or to reach the criminals, and gives an address for that (a
 * Tor .onion address or a Bitcoin address). Requiring all four keeps
 * articles about ransomware out. Notes are small text or HTML files, in
 * ASCII/UTF-8 or UTF-16; executables and archives are excluded, since
 * ransomware binaries carry their note text too (other rules are for
 * those).
 */

rule Ransom_Note
{
	meta:
		description = "Ransomware note: files encrypted, decryption offered against payment, with an .onion or Bitcoin address"
		severity = 1
		category = "Ransomware"
		author = "vigil"

	strings:
		$enc1 = "files have been encrypted" nocase ascii wide
		$enc2 = "files are encrypted" nocase ascii wide
		$enc3 = "files were encrypted" nocase ascii wide
		$enc4 = "files has been encrypted" nocase ascii wide
		$enc5 = "your important files" nocase ascii wide
		$enc6 = "your network has been" nocase ascii wide
		$dec = "decrypt" nocase ascii wide
		$pay1 = "bitcoin" nocase ascii wide
		$pay2 = "BTC" ascii wide
		$pay3 = "monero" nocase ascii wide
		$pay4 = "tor browser" nocase ascii wide
		$pay5 = "private key" nocase ascii wide
		$addr1 = /[a-z2-7]{56}\.onion/ nocase ascii wide
		$addr2 = /[a-z2-7]{16}\.onion/ nocase ascii wide
		$addr3 = /bc1[02-9ac-hj-np-z]{25,62}/ ascii wide
		$addr4 = /(bitcoin|btc)[^\r\n]{0,60}[^A-Za-z0-9][13][a-km-zA-HJ-NP-Z1-9]{25,34}/ nocase ascii wide

	condition:
		filesize < 100KB and
		not (uint16(0) == 0x5A4D or uint32(0) == 0x464C457F or
		     uint32(0) == 0x04034B50 or uint32(0) == 0xE011CFD0) and
		1 of ($enc*) and $dec and 1 of ($pay*) and 1 of ($addr*)
}
