<?php
// A warm parser for assay's PHP checks (trusted side; it parses text, never runs it):
// `php php_server.php` reads one request a line on stdin, a JSON array of [file name, text], and
// answers each with one line on stdout, a JSON array with, per file, {"syntax": {message, line,
// column}} where PHP's own parser (token_get_all with TOKEN_PARSE, the parser of `php -l`)
// rejects the file, or {} where it parses; for a `solution.php` that parses, {"stub": text}: the
// strength check's stub, every outermost function's body (functions, methods, closures, arrow
// functions) replaced by one that throws, located with nikic/PHP-Parser (Debian's php-parser).
declare(strict_types=1);

require_once 'PhpParser/autoload.php';

use PhpParser\Node;
use PhpParser\NodeTraverser;
use PhpParser\NodeVisitorAbstract;

const STUB_BODY = 'throw new \\Error("stub");';

final class Bodies extends NodeVisitorAbstract
{
    private int $depth = 0;
    /** @var list<array{0: int, 1: int, 2: string}> start, end (bytes, end exclusive), replacement */
    public array $edits = [];

    public function enterNode(Node $node)
    {
        if (!$node instanceof Node\FunctionLike) {
            return null;
        }
        if ($this->depth++ === 0) {
            if ($node instanceof Node\Expr\ArrowFunction) {
                $expr = $node->expr;
                $this->edits[] = [$expr->getStartFilePos(), $expr->getEndFilePos() + 1, '(throw new \\Error("stub"))'];
            } elseif ($node->getStmts() !== null) {
                $stmts = $node->getStmts();
                if ($stmts) {
                    $start = $stmts[0]->getStartFilePos();
                    $end = end($stmts)->getEndFilePos() + 1;
                    $this->edits[] = [$start, $end, STUB_BODY];
                } else {
                    $close = $node->getEndFilePos(); // the closing brace
                    $this->edits[] = [$close, $close, STUB_BODY . ' '];
                }
            }
        }
        return null;
    }

    public function leaveNode(Node $node)
    {
        if ($node instanceof Node\FunctionLike) {
            $this->depth--;
        }
        return null;
    }
}

$lexer = new PhpParser\Lexer\Emulative(['usedAttributes' => ['startLine', 'startFilePos', 'endFilePos']]);
$parser = (new PhpParser\ParserFactory())->create(PhpParser\ParserFactory::ONLY_PHP7, $lexer);

/** Where PHP-Parser places an error on `line` (PHP's own ParseError has no column), else 1. */
function column(string $text, int $line, PhpParser\Parser $parser): int
{
    try {
        $parser->parse($text);
    } catch (PhpParser\Error $e) {
        if ($e->getStartLine() === $line && $e->hasColumnInfo()) {
            return $e->getStartColumn($text);
        }
    }
    return 1;
}

/** @return array<string, mixed> */
function check(string $name, string $text, PhpParser\Parser $parser): array
{
    if (!preg_match('/^(\xEF\xBB\xBF)?\s*<\?php\b/', $text)) {
        return ['syntax' => ['message' => 'the file does not start with <?php', 'line' => 1, 'column' => 1]];
    }
    try {
        token_get_all($text, TOKEN_PARSE);
    } catch (ParseError $e) {
        $line = $e->getLine();
        return ['syntax' => ['message' => $e->getMessage(), 'line' => $line, 'column' => column($text, $line, $parser)]];
    }
    if (basename($name) !== 'solution.php') {
        return [];
    }
    try {
        $stmts = $parser->parse($text);
    } catch (PhpParser\Error $e) {
        return ['stub_error' => $e->getMessage()]; // PHP parses it, PHP-Parser does not
    }
    $bodies = new Bodies();
    $traverser = new NodeTraverser();
    $traverser->addVisitor($bodies);
    $traverser->traverse($stmts ?? []);
    if (!$bodies->edits) {
        return [];
    }
    $edits = $bodies->edits;
    usort($edits, fn ($a, $b) => $b[0] <=> $a[0]);
    $stub = $text;
    foreach ($edits as [$start, $end, $body]) {
        $stub = substr($stub, 0, $start) . $body . substr($stub, $end);
    }
    return ['stub' => $stub];
}

while (($line = fgets(STDIN)) !== false) {
    $answers = [];
    foreach (json_decode($line, true, 512, JSON_THROW_ON_ERROR | JSON_INVALID_UTF8_SUBSTITUTE) as [$name, $text]) {
        try {
            $answers[] = (object) check($name, $text, $parser);
        } catch (Throwable $e) {
            $answers[] = ['error' => substr(get_class($e) . ': ' . $e->getMessage(), 0, 2000)];
        }
    }
    echo json_encode($answers, JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE), "\n";
    flush();
}
