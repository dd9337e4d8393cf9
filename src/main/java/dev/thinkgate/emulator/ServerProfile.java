package dev.thinkgate.emulator;

import java.util.Locale;

/**
 * Which real server the emulated model imitates where servers differ: how a prefill (a final
 * assistant message with {@code continue_final_message}) is rendered, which errors come back, the
 * reasoning field names and streaming quirks.
 */
public enum ServerProfile {
  /**
   * vLLM up to 0.11: transformers' {@code continue_final_message} check (400 when the template
   * drops the final message), {@code reasoning_content}, stop strings held back while streaming
   * (serving_chat.py, v1/engine/detokenizer.py).
   */
  VLLM_0_11("vllm-0.11", EmulatedDialect.REASONING_CONTENT),
  /** vLLM 0.16 and later: as 0.11, thinking in {@code reasoning}. */
  VLLM_0_16("vllm-0.16", EmulatedDialect.REASONING),
  /**
   * SGLang: drops the final assistant message, renders the generation prompt and appends the
   * prefill text (serving_chat.py {@code _apply_jinja_template}); no {@code /tokenize}.
   */
  SGLANG("sglang", EmulatedDialect.REASONING_CONTENT);

  private final String wireName;
  private final EmulatedDialect defaultDialect;

  ServerProfile(String wireName, EmulatedDialect defaultDialect) {
    this.wireName = wireName;
    this.defaultDialect = defaultDialect;
  }

  public String wireName() {
    return wireName;
  }

  /** The reasoning fields this server version sends when started with a reasoning parser. */
  public EmulatedDialect defaultDialect() {
    return defaultDialect;
  }

  public boolean isVllm() {
    return this != SGLANG;
  }

  /** Parses {@code vllm-0.11}, {@code vllm-0.16} or {@code sglang}. */
  public static ServerProfile fromWire(String value) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    for (ServerProfile p : values()) {
      if (p.wireName.equals(v)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "server '" + value + "' is not one of vllm-0.11, vllm-0.16, sglang");
  }
}
