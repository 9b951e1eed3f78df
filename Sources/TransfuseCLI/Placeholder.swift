import ArgumentParser
public struct TransfuseCommand: ParsableCommand {
    public init() {}
}
