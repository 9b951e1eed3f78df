import Foundation

/// The architecture values a config gives: a Hugging Face `config.json` (also the original
/// BERT `bert_config.json`), a keras-hub `config.json` (values under `"config"`), or a timm
/// `config.json` (values under `"model_args"`). Which keys give which symbol is data, in the
/// layout file's `symbols`.
struct ModelConfig {
    /// Symbol → (config key, value) found.
    let values: [String: (key: String, value: Int)]
    let layerNormEps: Double?
    let activation: String?
    let imageSize: Int?

    static let empty = ModelConfig(values: [:], layerNormEps: nil, activation: nil, imageSize: nil)

    /// Reads `json` for the symbols of `layout`.
    /// - Throws: `NamingSchemeError.invalidConfig` when the text is not a JSON object.
    init(json: String?, layout: CanonicalLayout) throws {
        guard let json else { self = .empty; return }
        guard let data = json.data(using: .utf8),
              let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw NamingSchemeError.invalidConfig(reason: "the config is not a JSON object")
        }
        // Search the top level first, then the nested objects other libraries use.
        let scopes: [(prefix: String, object: [String: Any])] = [("", root)]
            + ["config", "model_args"].compactMap { key in (root[key] as? [String: Any]).map { ("\(key).", $0) } }
        func lookup(_ key: String) -> (String, Any)? {
            for scope in scopes { if let value = scope.object[key] { return (scope.prefix + key, value) } }
            return nil
        }
        func integer(_ any: Any) -> Int? {
            guard !JSONNode.isBoolean(any), let number = any as? NSNumber else { return nil }
            return Int(exactly: number.doubleValue)
        }
        var values: [String: (key: String, value: Int)] = [:]
        for (symbol, keys) in layout.symbols {
            for key in keys {
                guard let (path, any) = lookup(key) else { continue }
                if let value = integer(any) { values[symbol] = (path, value); break }
                if key == "id2label", let labels = any as? [String: Any] { values[symbol] = (path, labels.count); break }
            }
        }
        var imageSize: Int?
        if let (_, any) = lookup("image_size") {
            if let size = integer(any) { imageSize = size }
            else if let pair = any as? [Any], pair.count == 2, let h = integer(pair[0]), integer(pair[1]) == h { imageSize = h }
        } else if let (_, any) = lookup("img_size"), let size = integer(any) {
            imageSize = size
        }
        if let imageSize, let patch = values["patch"]?.value, patch > 0, imageSize % patch == 0,
           layout.symbols["image_positions"] != nil, values["image_positions"] == nil {
            let side = imageSize / patch
            values["image_positions"] = ("image_size", side * side + 1)
        }
        self.values = values
        self.imageSize = imageSize
        var eps: Double?
        for key in ["layer_norm_eps", "layer_norm_epsilon"] {
            if let (_, any) = lookup(key), !JSONNode.isBoolean(any), let number = any as? NSNumber { eps = number.doubleValue; break }
        }
        layerNormEps = eps
        activation = ["hidden_act", "activation"].lazy.compactMap { lookup($0)?.1 as? String }.first
    }

    private init(values: [String: (key: String, value: Int)], layerNormEps: Double?, activation: String?, imageSize: Int?) {
        self.values = values
        self.layerNormEps = layerNormEps
        self.activation = activation
        self.imageSize = imageSize
    }
}
