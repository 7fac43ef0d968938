/*
 * webshell_jsp.yar: JSP web shells (Tomcat and other Java servers: the
 * management consoles of many office appliances run on them).
 *
 * A JSP page that both reads a request parameter and starts a process.
 */

rule Webshell_JSP_Cmd_Exec
{
	meta:
		description = "JSP web shell: a page that reads request parameters and runs commands (Runtime.exec / ProcessBuilder)"
		severity = 1
		category = "Webshell"
		author = "vigil"

	strings:
		$tag = "<%"
		$exec1 = /Runtime\s*\.\s*getRuntime\s*\(\s*\)\s*\.\s*exec\s*\(/
		$exec2 = /new\s+ProcessBuilder\s*\(/
		$req = /request\s*\.\s*getParameter\s*\(/

	condition:
		filesize < 1MB and $tag and 1 of ($exec*) and $req
}
