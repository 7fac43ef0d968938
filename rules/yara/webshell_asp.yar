/*
 * webshell_asp.yar: ASP and ASP.NET (ASPX) web shells, for offices that
 * run IIS (intranet portals, accounting front ends).
 *
 * The first rule is the China Chopper family and its many copies: request
 * input handed straight to eval/Execute. The second is the ASPX command
 * shell: a page that starts cmd.exe and reads the request.
 */

rule Webshell_ASP_Eval_Request
{
	meta:
		description = "ASP/ASPX web shell: request input passed to eval or Execute (China Chopper style)"
		severity = 1
		category = "Webshell"
		author = "vigil"

	strings:
		$tag = "<%"
		// <%eval request("x")%>, <%Execute(Request.Form("x"))%>,
		// <%eval(Request.Item["x"],"unsafe");%>
		$eval = /\b(eval|execute|executeglobal)\s*\(?\s*request\s*(\.\s*(form|querystring|item|params|cookies)\s*)?[\(\[]/ nocase

	condition:
		filesize < 1MB and $tag and $eval
}

rule Webshell_ASPX_Cmd_Exec
{
	meta:
		description = "ASP.NET page that starts cmd.exe and reads request input (command web shell)"
		severity = 1
		category = "Webshell"
		author = "vigil"

	strings:
		$page = "<%@"
		$proc1 = "ProcessStartInfo" nocase
		$proc2 = "Process.Start" nocase
		$cmd = "cmd.exe" nocase
		$req = /\bRequest\s*(\.\s*(Form|QueryString|Params|Item)\s*)?[\[\(]/ nocase

	condition:
		filesize < 1MB and $page and 1 of ($proc*) and $cmd and $req
}
