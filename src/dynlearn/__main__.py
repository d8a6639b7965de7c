from dynlearn.cli import main

main()
