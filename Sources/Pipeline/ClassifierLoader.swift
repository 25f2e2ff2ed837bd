import Classifier
import Foundation
import Settings

/// Builds a classifier from a configuration file: settings, rules, gazetteer and corpus.
public enum ClassifierLoader {
    /// - Parameter checkingRules: compile every rule to report those that fail, with their
    ///   lines; a caller that builds the classifier at once may leave that to it (see
    ///   `ConfigOption.settingsAndClassifier`).
    public static func settings(_ path: String?, checkingRules: Bool = true) throws(PipelineError) -> Settings {
        let file = path.map { URL(fileURLWithPath: $0) } ?? Settings.defaultFile()
        do {
            return try Settings.load(file, checkingRules: checkingRules ? Classifier.ruleProblems : nil)
        } catch {
            throw PipelineError.configuration(error.description)
        }
    }

    /// - Parameter warn: receives each corpus file that was cut or skipped.
    public static func classifier(_ settings: Settings,
                                  warn: (CorpusWarning) -> Void = CorpusWarning.printToStandardError) throws(PipelineError) -> Classifier {
        try classifier(settings, corpus: CorpusStore(folder: settings.corpusFolder).load(warn: warn))
    }

    /// A classifier over a corpus already read (cross-validation builds one per fold).
    public static func classifier(_ settings: Settings, corpus: [CorpusDocument]) throws(PipelineError) -> Classifier {
        do {
            return try Classifier(settings: settings.classifier, rules: settings.rules, corpus: corpus, gazetteer: settings.gazetteer)
        } catch {
            throw PipelineError.configuration("\(settings.file.lastPathComponent): \(error.description)")
        }
    }
}
