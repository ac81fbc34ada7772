from model_tester.cli import main

main()
