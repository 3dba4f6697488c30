from her2gc.cli import run

run()
