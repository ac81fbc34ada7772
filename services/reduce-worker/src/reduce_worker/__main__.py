from reduce_worker.cli import main

main()
