from vllm_server.cli import main

main()
