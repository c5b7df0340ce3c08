from presslens.cli import run

run()
