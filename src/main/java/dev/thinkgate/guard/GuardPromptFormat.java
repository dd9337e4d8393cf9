package dev.thinkgate.guard;

import dev.thinkgate.config.GatewayConfig.GuardApi;
import io.vertx.core.json.JsonArray;

/**
 * How one guard family is asked and how its answer is read. A format is a pure function of the
 * request: the same request always gives the same bytes, which is what the verdict cache keys on.
 */
public interface GuardPromptFormat {

  /** The raw prompt for {@code /v1/completions}, with the model's own special tokens. */
  String prompt(GuardRequest request);

  /** The conversation for {@code /v1/chat/completions}; the server's chat template applies. */
  JsonArray messages(GuardRequest request);

  /**
   * Parses the model's generated text.
   *
   * @throws GuardException of kind {@link GuardException.Kind#UNPARSABLE} for anything that is
   *     not a well-formed answer; never returns "safe" for such text
   */
  GuardVerdict parse(String output, long guardMs);

  /** The exact text sent for {@code request} over {@code api}; the cache hashes this. */
  default String wireText(GuardRequest request, GuardApi api) {
    return api == GuardApi.CHAT ? messages(request).encode() : prompt(request);
  }

  /** Whether this format can build a raw prompt (otherwise only the chat API can be used). */
  default boolean supportsCompletions() {
    return true;
  }

  /**
   * The {@code max_tokens} a call asks for: enough for this family's longest well-formed verdict,
   * since a verdict cut short is unparsable and becomes a guard error.
   */
  default int maxTokens() {
    return 64;
  }
}
