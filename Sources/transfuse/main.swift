import TransfuseCLI
TransfuseCommand.main()
