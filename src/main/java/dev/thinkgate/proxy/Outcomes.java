package dev.thinkgate.proxy;

import dev.thinkgate.screening.ScreenReport;
import dev.thinkgate.screening.SpanVerdict;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Renders a finished request's outcome: verdict JSON, Server-Timing, the log line. */
final class Outcomes {
  private Outcomes() {}

  /** {@code {safe, categories, checkpoint, offset, guard_ms, ...}}, or null when not screened. */
  static JsonObject verdict(SpanVerdict v) {
    return SpanVerdict.toJson(v);
  }

  static JsonObject verdicts(GenerationPipeline.Outcome o) {
    ScreenReport r = o.screen();
    return new JsonObject()
        .put("input", verdict(o.input()))
        .put("thinking", r == null ? null : verdict(r.thinking()))
        .put("answer", r == null ? null : verdict(r.answer()));
  }

  /** The {@code thinkgate} object added to a non-stream response when the policy screens. */
  static JsonObject extension(GenerationPipeline.Outcome o) {
    JsonObject ext = new JsonObject()
        .put("request_id", o.ctx().requestId())
        .put("policy", o.ctx().policy().name())
        .put("mode", o.mode())
        .put("action", o.action())
        .put("shadow_action", o.shadowAction())
        .put("verdicts", verdicts(o));
    if (o.restarted()) {
      ext.put("restarted", "zerothink");
    }
    return ext;
  }

  static String serverTiming(GenerationPipeline.Outcome o) {
    long gateway = Math.max(0, o.totalMs() - o.upstreamMs() - o.guardMs());
    return "gateway;dur=" + gateway + ", guard;dur=" + o.guardMs() + ", upstream;dur="
        + o.upstreamMs();
  }

  static JsonObject timing(GenerationPipeline.Outcome o) {
    return new JsonObject()
        .put("ttft_ms", o.ttftMs())
        .put("total_ms", o.totalMs())
        .put("guard_ms", o.guardMs())
        .put("upstream_ms", o.upstreamMs())
        .put("overhead_ms", Math.max(0, o.totalMs() - o.upstreamMs() - o.guardMs()));
  }

  /** One INFO line per request: ids, tenant, policy, mode, action, timings; never prompt text. */
  static String logLine(GenerationPipeline.Outcome o) {
    RequestContext c = o.ctx();
    return "request id=" + c.requestId()
        + " tenant=" + c.tenant().name()
        + " policy=" + c.policy().name()
        + " model=" + c.clientModel()
        + " mode=" + o.mode()
        + " stream=" + c.streaming()
        + " status=" + o.status()
        + " action=" + o.action()
        + (o.shadowAction() != null && !o.shadowAction().equals(o.action())
            ? " shadow_action=" + o.shadowAction() : "")
        + " upstream_calls=" + o.upstreamCalls()
        + " ttft_ms=" + o.ttftMs()
        + " total_ms=" + o.totalMs()
        + " upstream_ms=" + o.upstreamMs()
        + " guard_ms=" + o.guardMs();
  }
}
