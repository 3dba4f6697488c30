from her2gc.cli.app import run

run()
