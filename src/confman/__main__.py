from confman.cli import main

main()
