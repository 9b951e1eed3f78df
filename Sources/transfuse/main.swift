import TransfuseCLI

TransfuseCommand.start()
