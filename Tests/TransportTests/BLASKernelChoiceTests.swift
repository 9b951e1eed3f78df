import Testing
@testable import Transport

@Suite("OpenBLAS kernel choice: which fallbacks are replaced, and by what")
struct BLASKernelChoiceTests {
    @Test("a pre-AVX2 kernel set on a CPU with AVX2 is replaced: SkylakeX with AVX-512, else Haswell")
    func fallbackIsReplaced() {
        #expect(BLASKernelChoice.replacement(for: "Prescott", avx2: true, avx512: true) == "SkylakeX")
        #expect(BLASKernelChoice.replacement(for: "Prescott", avx2: true, avx512: false) == "Haswell")
        #expect(BLASKernelChoice.replacement(for: "NEHALEM", avx2: true, avx512: false) == "Haswell")
        #expect(BLASKernelChoice.replacement(for: "Core2", avx2: true, avx512: true) == "SkylakeX")
    }

    @Test("a recognised choice, or a CPU without AVX2, is left alone")
    func recognisedChoiceIsKept() {
        for core in ["SkylakeX", "Cooperlake", "SapphireRapids", "Haswell", "Zen"] {
            #expect(BLASKernelChoice.replacement(for: core, avx2: true, avx512: true) == nil, "\(core)")
        }
        #expect(BLASKernelChoice.replacement(for: "Prescott", avx2: false, avx512: false) == nil)
        #expect(BLASKernelChoice.replacement(for: "Nehalem", avx2: false, avx512: false) == nil)
    }

    @Test("OpenBLAS reports the kernel set in use")
    func coreNameIsReported() {
        #expect(!BLASKernelChoice.coreName.isEmpty)
    }
}
