from her2gc.cli.app import main

raise SystemExit(main())
