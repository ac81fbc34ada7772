from map_worker.cli import main

main()
