"""PHP: the language (`language.py`, trusted: the warm parser server `php_server.php`, the stub,
its runs) and the harness that runs PHPUnit in the sandbox beside the sample (`box/`). Nothing is
imported here."""
