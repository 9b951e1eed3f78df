import Foundation
import Testing
import WeightStore

/// Expects `actual` to equal `expected` exactly: names, order, dtypes, shapes, bytes,
/// metadata and config.
func expectIdentical(_ actual: WeightStore, _ expected: WeightStore, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(actual.names == expected.names, sourceLocation: sourceLocation)
    #expect(actual.metadata == expected.metadata, sourceLocation: sourceLocation)
    #expect(actual.configJSON == expected.configJSON, sourceLocation: sourceLocation)
    for want in expected.tensors {
        let got = try #require(actual[want.name], "missing \(want.name)", sourceLocation: sourceLocation)
        #expect(got.dtype == want.dtype, "\(want.name)", sourceLocation: sourceLocation)
        #expect(got.shape == want.shape, "\(want.name)", sourceLocation: sourceLocation)
        #expect(try got.source.data() == want.source.data(), "bytes of \(want.name)", sourceLocation: sourceLocation)
    }
}

/// A fresh temporary folder, removed by the caller with `removeTemporary`.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("transfuse-h5-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
