import Foundation
import HDF5Checkpoint
import Testing
import TestSupport
import WeightStore

/// Files written by h5py and Keras (Fixtures/make_fixtures.py) read as the manifest says.
@Suite("Reading h5py and Keras files")
struct InteropFixtureTests {
    @Test("Layout, names, order, dtypes, shapes, bytes, metadata and config match the manifest",
          arguments: Fixtures.names)
    func readsFixture(_ file: String) throws {
        let expected = try #require(try Fixtures.manifest()[file])
        let path = Fixtures.path(file)
        #expect(try HDF5CheckpointReader.detectLayout(path: path).rawValue == expected.layout)
        let (store, layout) = try HDF5CheckpointReader.readWithLayout(path: path)
        #expect(layout.rawValue == expected.layout)
        #expect(store.names == expected.tensors.map(\.name))
        #expect(store.metadata == expected.metadata)
        #expect(store.configJSON == expected.config)
        for want in expected.tensors {
            let tensor = try #require(store[want.name])
            #expect(tensor.dtype.rawValue == want.dtype, "\(want.name)")
            #expect(tensor.shape == want.shape, "\(want.name)")
            let bytes = try tensor.source.data()
            #expect(SHA256.hex(bytes) == want.sha256, "bytes of \(want.name)")
            tensor.source.release()
        }
    }

    @Test("f16 values from h5py decode to the float16 numbers NumPy stored")
    func float16Values() throws {
        let store = try HDF5CheckpointReader.read(path: Fixtures.path("flat.h5"))
        let half = try store.tensor("encoder.layer.0.weight")
        #expect(half.dtype == .f16)
        let values = try half.floats()
        #expect(values.count == 6)
        #expect(values.allSatisfy { $0.isFinite && abs($0) < 10 })
        // The same values as F32 after a canonical round trip stay bit-identical.
        let scalar = try store.tensor("scalar")
        #expect(try scalar.floats() == [3.25])
    }

    @Test("Keras bf16 stored as 2-byte opaque reads as BF16, also in the legacy .h5")
    func kerasBFloat16() throws {
        let weights = try HDF5CheckpointReader.read(path: Fixtures.path("keras3.weights.h5"))
        #expect(try weights.tensor("layers/dense/vars/0").dtype == .bf16)
        #expect(try weights.tensor("layers/dense/vars/0").shape == [4, 5])
        let legacy = try HDF5CheckpointReader.read(path: Fixtures.path("keras3_legacy.h5"))
        #expect(try legacy.tensor("dense/kernel").dtype == .bf16)
        // Both files hold the same model: the same bytes under both names.
        #expect(try legacy.tensor("dense/kernel").source.data() == weights.tensor("layers/dense/vars/0").source.data())
        #expect(try legacy.tensor("embedding/embeddings").source.data() == weights.tensor("layers/embedding/vars/0").source.data())
    }
}
