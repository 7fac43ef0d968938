/*
 * webshell_php.yar: PHP web shells, as dropped on the web servers and
 * NAS boxes of small offices through vulnerable plugins and upload forms.
 *
 * Both rules look for what a web shell must do and a normal page never
 * does: hand request input (or a blob decoded at run time) to eval or to
 * a command function. Plain PHP applications pass request data to
 * databases and templates, not to eval(), system() or to a function whose
 * name itself comes from the request.
 */

rule Webshell_PHP_Eval_Request
{
	meta:
		description = "PHP web shell: request input passed to eval, assert, a command function or a function named by the request"
		severity = 1
		category = "Webshell"
		author = "vigil"

	strings:
		$php = "<?"
		// eval($_POST['x']), system(base64_decode($_GET['c'])), @assert(@$_REQUEST[..])
		$run = /\b(eval|assert|system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|create_function)\s*\(\s*@?\s*((base64_decode|str_rot13|gzinflate|gzuncompress|gzdecode|hex2bin|stripslashes|urldecode|rawurldecode|trim)\s*\(\s*@?\s*)?\$_(POST|GET|REQUEST|COOKIE|FILES)\b/ nocase
		// $_GET['f']($_POST['c']): the function itself comes from the request
		$call = /\$_(POST|GET|REQUEST|COOKIE)\s*\[[^\]\r\n]{1,40}\]\s*\(\s*@?\s*\$_(POST|GET|REQUEST|COOKIE)\b/ nocase

	condition:
		filesize < 2MB and $php and ($run or $call)
}

rule Webshell_PHP_Obfuscated_Eval
{
	meta:
		description = "PHP code that evaluates a blob decoded at run time (eval of gzinflate/base64_decode/str_rot13), the usual packing of web shells"
		severity = 2
		category = "Webshell"
		author = "vigil"

	strings:
		$php = "<?"
		// eval(gzinflate(base64_decode(...))) and friends: two decoding layers
		$two = /\beval\s*\(\s*(gzinflate|gzuncompress|gzdecode|str_rot13|base64_decode|convert_uudecode)\s*\(\s*(gzinflate|gzuncompress|gzdecode|str_rot13|base64_decode|convert_uudecode)\s*\(/ nocase
		// eval(base64_decode('...long literal...'))
		$blob = /\beval\s*\(\s*base64_decode\s*\(\s*['"][A-Za-z0-9+\/=]{200}/ nocase

	condition:
		filesize < 2MB and $php and ($two or $blob)
}
