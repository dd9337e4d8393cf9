package dev.thinkgate.proxy;

import dev.thinkgate.policy.Policy;
import dev.thinkgate.policy.ReasoningMode;
import dev.thinkgate.tenant.Tenant;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * Everything decided about one request before generation starts.
 *
 * @param path the client's endpoint ({@code /v1/chat/completions} or {@code /v1/completions})
 * @param bodyBytes the bytes {@code body} was parsed from, as the client sent them, for a stream
 *     that sent no {@code stream_options} (what the raw relay may forward); null otherwise, and
 *     when {@code body} is not the client's (a background sample's)
 * @param userPrompt the text the guard judges as the user turn
 * @param mode the requested mode (policy default or allowed override)
 * @param group the Safe@K group id (the request id for the client's own sample)
 * @param sample 0 for the client's own sample, 1..K-1 for background samples
 */
record RequestContext(
    String requestId, Tenant tenant, Policy policy, UpstreamRoute route, String path,
    JsonObject body, Buffer bodyBytes, boolean streaming, String clientModel, String userPrompt, ReasoningMode mode,
    String group, int sample, long startNanos) {

  boolean completionsApi() {
    return path.equals("/v1/completions");
  }

  String upstreamModel() {
    String configured = route.config().upstreamModel();
    return configured == null ? clientModel : configured;
  }
}
