import Checkpoints
import Foundation
import HDF5Kit
import Testing
import WeightStore
@testable import Inference

/// The committed fixtures of Fixtures/ (made by Fixtures/make_fixtures.py with transformers).
enum Fixtures {
    static var folder: String { Bundle.module.resourceURL!.appendingPathComponent("Fixtures").path }
    static func path(_ name: String) -> String { folder + "/" + name }

    /// A canonical store (model.safetensors + config.json in a fixture folder).
    static func store(_ name: String) throws -> WeightStore { try Checkpoint.read(path(name)) }

    /// A float dataset of an HDF5 fixture, with its shape.
    static func floats(_ file: String, _ dataset: String) throws -> (values: [Float], shape: [Int]) {
        let h5 = try HDF5File.openReadOnly(path(file))
        let set = try h5.root().openDataset(dataset)
        let data = try set.readBytes(memoryType: try HDF5Datatype.element(.float32))
        return (data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }, try set.shape())
    }

    /// An integer dataset of an HDF5 fixture, with its shape.
    static func ints(_ file: String, _ dataset: String) throws -> (values: [Int], shape: [Int]) {
        let h5 = try HDF5File.openReadOnly(path(file))
        let set = try h5.root().openDataset(dataset)
        let data = try set.readBytes(memoryType: try HDF5Datatype.element(.int64))
        return (data.withUnsafeBytes { $0.bindMemory(to: Int64.self).map { Int($0) } }, try set.shape())
    }

    /// A scalar float64 of an HDF5 fixture.
    static func scalar(_ file: String, _ dataset: String) throws -> Double {
        let h5 = try HDF5File.openReadOnly(path(file))
        let data = try h5.root().openDataset(dataset).readBytes(memoryType: try HDF5Datatype.element(.float64))
        return data.withUnsafeBytes { $0.loadUnaligned(as: Double.self) }
    }

    /// The names of the datasets at the root of an HDF5 file, in order.
    static func datasetNames(_ file: String) throws -> [String] {
        try HDF5File.openReadOnly(file).root().links().links.map(\.name)
    }
}

/// The largest absolute difference between two equally long arrays.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
