package dev.thinkgate.screening;

import java.util.List;

/**
 * The screening outcome of one span (or of the input), as recorded in the audit record's
 * {@code verdicts.{input,thinking,answer}}.
 *
 * @param safe null when the span was not screened (disabled, empty, or guard error with fail_open)
 * @param checkpoint index of the checkpoint that gave the first unsafe verdict (or the last one)
 * @param offset character offset in the span where enforcement cut or would have cut; -1 if none
 * @param guardMs summed guard time for this span
 * @param guardCalls guard calls made for this span
 * @param guardErrors guard calls that failed
 */
public record SpanVerdict(
    Boolean safe, List<String> categories, int checkpoint, long offset, long guardMs,
    int guardCalls, int guardErrors) {
  public static final SpanVerdict NOT_SCREENED = new SpanVerdict(null, List.of(), -1, -1, 0, 0, 0);

  public SpanVerdict {
    categories = categories == null ? List.of() : List.copyOf(categories);
  }

  /** The audit record's form of {@code v}; null when the span was not screened at all. */
  public static io.vertx.core.json.JsonObject toJson(SpanVerdict v) {
    if (v == null || (v.safe() == null && v.guardCalls() == 0 && v.guardErrors() == 0)) {
      return null;
    }
    return new io.vertx.core.json.JsonObject()
        .put("safe", v.safe())
        .put("categories", new io.vertx.core.json.JsonArray(v.categories()))
        .put("checkpoint", v.checkpoint())
        .put("offset", v.offset())
        .put("guard_ms", v.guardMs())
        .put("guard_calls", v.guardCalls())
        .put("guard_errors", v.guardErrors());
  }
}
