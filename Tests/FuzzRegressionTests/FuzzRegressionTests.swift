import Foundation
import Testing
import FuzzTargets

/// Every input the fuzzer once broke drillwatch with (`Inputs/<target>/`), replayed through the
/// same entry point: a fixed crash stays fixed. `scripts/fuzz` adds new ones here.
@Suite struct FuzzRegressionTests {
    static func inputs(_ target: FuzzTarget) -> [URL] {
        guard let folder = Bundle.module.url(forResource: "Inputs/" + target.rawValue, withExtension: nil),
              let files = try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        else { return [] }
        return files.filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
    }

    @Test func inputsAreBundled() {
        #expect(!FuzzTarget.allCases.flatMap(Self.inputs).isEmpty)
    }

    @Test(arguments: FuzzTarget.allCases)
    func keptInputsRunCleanly(_ target: FuzzTarget) throws {
        for file in Self.inputs(target) {
            let started = ContinuousClock.now
            target.run(Array(try Data(contentsOf: file)))
            // Generous: a hang is minutes; debug builds on a busy machine are slow.
            #expect(ContinuousClock.now - started < .seconds(20), "\(file.lastPathComponent) took too long")
        }
    }
}
