import HDF5Kit

/// Depth-first listing of every dataset under a group: links in creation order where the
/// group tracks it, otherwise in natural name order (`NaturalOrder`). Soft and external
/// links and named datatypes are skipped (they do not hold tensors of their own), and a group
/// reached a second time through another hard link is not entered again (no cycles).
enum DatasetWalk {
    /// Path components of each dataset relative to `group`, in reading order.
    static func datasets(under group: HDF5Group, skipping skipped: Set<String> = []) throws -> [[String]] {
        var visited: Set<UInt64> = [try group.objectAddress()]
        return try datasets(under: group, prefix: [], skipping: skipped, visited: &visited)
    }

    private static func datasets(under group: HDF5Group, prefix: [String], skipping skipped: Set<String>,
                                 visited: inout Set<UInt64>) throws -> [[String]] {
        var listing = try group.links()
        if !listing.creationOrdered {
            listing.links.sort { NaturalOrder.precedes($0.name, $1.name) }
        }
        var found: [[String]] = []
        for link in listing.links where !skipped.contains(link.name) {
            switch link.kind {
            case .dataset:
                found.append(prefix + [link.name])
            case .group:
                let child = try group.openGroup(link.name)
                guard visited.insert(try child.objectAddress()).inserted else { continue }
                found += try datasets(under: child, prefix: prefix + [link.name], skipping: [], visited: &visited)
            default:
                continue
            }
        }
        return found
    }
}
