package dev.thinkgate.audit;

import io.vertx.core.json.JsonObject;

/**
 * One audit sample, one JSONL line (DESIGN §8). Field names on the wire are the snake_case of
 * the components: {@code id, ts, tenant, policy, model, mode, group, sample, params, prompt,
 * thinking, answer, verdicts, action, shadow_action, finish_reason, usage, timing, shadow}.
 * {@code shadow_action} is the action enforcing this policy would have taken (spans released in
 * shadow enforced with their configured action); {@code pass} only when nothing would have been
 * acted on. {@code shadow} (present when the policy names {@code shadow_policies}) holds one
 * {@link dev.thinkgate.screening.ShadowTrial.Result} per trialed policy.
 *
 * @param ts ISO-8601 instant
 * @param group id shared by the K samples of one prompt
 * @param sample 0..K-1; 0 is the client's own response
 * @param params sampling parameters sent upstream (temperature, top_p, max_tokens, seed)
 * @param prompt the prompt text, or {@code sha256:<hex>} when the policy redacts prompts
 * @param verdicts {@code {input, thinking, answer}}, each {@code {safe, categories, checkpoint,
 *     guard_ms}} or null when not screened
 * @param usage the upstream usage summed over calls
 * @param timing {@code {ttft_ms, total_ms, guard_ms, overhead_ms}}
 */
public record AuditRecord(
    String id, String ts, String tenant, String policy, String model, String mode, String group,
    int sample, JsonObject params, String prompt, String thinking, String answer,
    JsonObject verdicts, String action, String shadowAction, String finishReason,
    JsonObject usage, JsonObject timing, io.vertx.core.json.JsonArray shadow) {

  /** A record without live trials ({@code shadow} absent). */
  public AuditRecord(
      String id, String ts, String tenant, String policy, String model, String mode, String group,
      int sample, JsonObject params, String prompt, String thinking, String answer,
      JsonObject verdicts, String action, String shadowAction, String finishReason,
      JsonObject usage, JsonObject timing) {
    this(id, ts, tenant, policy, model, mode, group, sample, params, prompt, thinking, answer,
        verdicts, action, shadowAction, finishReason, usage, timing, null);
  }

  /** This record with the trials' results: {@code [{policy, action, span, offset, ...}]}. */
  public AuditRecord withShadow(io.vertx.core.json.JsonArray trials) {
    return new AuditRecord(id, ts, tenant, policy, model, mode, group, sample, params, prompt,
        thinking, answer, verdicts, action, shadowAction, finishReason, usage, timing, trials);
  }

  public JsonObject toJson() {
    JsonObject j = new JsonObject()
        .put("id", id)
        .put("ts", ts)
        .put("tenant", tenant)
        .put("policy", policy)
        .put("model", model)
        .put("mode", mode)
        .put("group", group)
        .put("sample", sample)
        .put("params", params)
        .put("prompt", prompt)
        .put("thinking", thinking)
        .put("answer", answer)
        .put("verdicts", verdicts)
        .put("action", action)
        .put("shadow_action", shadowAction)
        .put("finish_reason", finishReason)
        .put("usage", usage)
        .put("timing", timing);
    if (shadow != null) {
      j.put("shadow", shadow);
    }
    return j;
  }

  public static AuditRecord fromJson(JsonObject j) {
    return new AuditRecord(
        j.getString("id"), j.getString("ts"), j.getString("tenant"), j.getString("policy"),
        j.getString("model"), j.getString("mode"), j.getString("group"),
        j.getInteger("sample", 0), j.getJsonObject("params"), j.getString("prompt"),
        j.getString("thinking"), j.getString("answer"), j.getJsonObject("verdicts"),
        j.getString("action"), j.getString("shadow_action"), j.getString("finish_reason"),
        j.getJsonObject("usage"), j.getJsonObject("timing"), j.getJsonArray("shadow"));
  }
}
