extension FusionResult {
    /// The transport maps by place in the flow graph, then by model index: `model<k>/<place>`
    /// becomes `[place][k]` (the anchor has none). Names of another form are skipped.
    func mapsByPlace() -> [String: [Int: TransportMap]] {
        var maps: [String: [Int: TransportMap]] = [:]
        for (name, map) in self.maps {
            guard name.hasPrefix("model"), let slash = name.firstIndex(of: "/"),
                  let k = Int(name[name.index(name.startIndex, offsetBy: 5)..<slash]) else { continue }
            maps[String(name[name.index(after: slash)...]), default: [:]][k] = map
        }
        return maps
    }
}
