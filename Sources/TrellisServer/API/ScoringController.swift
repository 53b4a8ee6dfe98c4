import Hummingbird
import TrellisCore
import TrellisStore

/// `/api/v1/scoring-model` and `/api/v1/contacts/{id}/score`: the model in force, and a
/// contact's scores with the reasons a rep can read.
struct ScoringController {
    let services: Services

    func register(on router: Router<TrellisRequestContext>) {
        let api = router.group("api/v1")
        api.get("scoring-model", use: showModel)
        api.put("scoring-model", use: replaceModel)
        api.get("contacts/:id/score", use: score)
    }

    @Sendable func showModel(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readSegments)
        guard let model = try await services.store.scoringModel() else { throw APIError.notFound("no scoring model is set; PUT one to /api/v1/scoring-model") }
        return JSONResponse.make(model.source)
    }

    @Sendable func replaceModel(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .manageSegments)
        let (value, yaml) = try await RuleBody.document(request)
        let model = try RuleBody.withLine(yaml) { () throws(InputError) in try ScoringModel(json: value) }
        try await services.store.saveScoringModel(model, at: services.clock.now())
        try await services.qualify.reload()
        services.qualify.notify()
        return JSONResponse.make(model.source)
    }

    @Sendable func score(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        _ = try await services.authenticator.bearer(request, needs: .readContacts)
        let id = try Query.id(context)
        guard try await services.store.contact(id: id) != nil else { throw APIError.notFound("contact \(id) does not exist") }
        guard let scorer = await services.qualify.qualifier.scorer else { throw APIError.notFound("no scoring model is set") }
        let now = services.clock.now()
        let stored = try await services.store.score(contactId: id)
        let state = stored?.state ?? ScoreState()
        let snapshot = scorer.snapshot(state, at: now)
        let reasons = ScoreReason.summarize(stored?.changes ?? [], scorer: scorer, at: now)
        let recent: [JSONValue] = (stored?.changes ?? []).suffix(20).reversed().map { change in
            [
                "dimension": .string(change.dimension.rawValue), "rule": .string(change.rule), "points": .double(change.points),
                "reason": .string(change.reason), "at": .string(change.at.iso8601), "eventSeq": change.eventSeq.map { .int($0) } ?? .null,
            ]
        }
        let reasonJSON: [JSONValue] = reasons.map { reason in
            [
                "rule": .string(reason.rule), "dimension": .string(reason.dimension.rawValue), "points": .double(rounded(reason.points)),
                "times": .int(Int64(reason.times)), "lastAt": .string(reason.lastAt.iso8601), "text": .string(reason.text),
            ]
        }
        var body: [String: JSONValue] = ["model": .string(scorer.model.name), "grade": .string(snapshot.grade.rawValue)]
        body["fit"] = .double(rounded(snapshot.fit))
        body["engagement"] = .double(rounded(snapshot.engagement))
        body["score"] = .double(rounded(snapshot.total))
        body["label"] = .string("\(snapshot.grade.rawValue)\(Int(snapshot.engagement.rounded()))")
        body["reasons"] = .array(reasonJSON)
        body["changes"] = .array(recent)
        // The model learned from sales outcomes, beside the rules' score.
        body["predicted"] = try await services.sales.predict(contactId: id) ?? .null
        return JSONResponse.make(.object(body))
    }

    func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }
}
