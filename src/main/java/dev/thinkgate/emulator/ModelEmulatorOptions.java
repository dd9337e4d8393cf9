package dev.thinkgate.emulator;

import dev.thinkgate.reasoning.jinja.JinjaChatTemplates;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.function.Function;

/**
 * Settings of an {@link EmulatedModelServer}.
 *
 * @param reasoningDialect how thinking is reported in chat responses
 * @param tokensPerSecond generation pace; 0 = as fast as the client reads
 * @param seed base seed of every random choice (same seed, prompt and request = same output)
 * @param modelName the served model name ({@code /v1/models}; other names get 404)
 * @param firstTokenDelayMs delay before the first chunk (time to first token)
 * @param tokensPerChunk tokens per streamed chunk
 * @param scriptOverride given the request body, the script to play, or null for the default
 *     behaviour; null = no override
 * @param serverProfile the real server imitated where servers differ; null = the emulator's
 *     original template-less behaviour (every request accepted)
 * @param template the published chat template the model's prompts are rendered with
 *     ({@code deepseek-r1}, {@code qwen3}, {@code qwq}); null = no template (prompts are not
 *     rendered); needs a server profile
 */
public record ModelEmulatorOptions(
    EmulatedDialect reasoningDialect,
    double tokensPerSecond,
    long seed,
    String modelName,
    long firstTokenDelayMs,
    int tokensPerChunk,
    Function<JsonObject, Script> scriptOverride,
    ServerProfile serverProfile,
    String template) {

  public static final String DEFAULT_MODEL = "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B";

  public ModelEmulatorOptions {
    Objects.requireNonNull(reasoningDialect, "reasoningDialect");
    Objects.requireNonNull(modelName, "modelName");
    if (!(tokensPerSecond >= 0) || Double.isInfinite(tokensPerSecond)) {
      throw new IllegalArgumentException("tokensPerSecond must be >= 0, was " + tokensPerSecond);
    }
    if (modelName.isBlank()) {
      throw new IllegalArgumentException("modelName must not be blank");
    }
    if (firstTokenDelayMs < 0) {
      throw new IllegalArgumentException("firstTokenDelayMs must be >= 0, was " + firstTokenDelayMs);
    }
    if (tokensPerChunk < 1) {
      throw new IllegalArgumentException("tokensPerChunk must be >= 1, was " + tokensPerChunk);
    }
    if (template != null && !JinjaChatTemplates.NAMES.contains(template)) {
      throw new IllegalArgumentException("template '" + template + "' is not one of "
          + String.join(", ", JinjaChatTemplates.NAMES));
    }
    if (template != null && serverProfile == null) {
      throw new IllegalArgumentException("template needs a serverProfile");
    }
  }

  /** DeepSeek-R1 distill, {@code reasoning_content}, unpaced, seed 0, one token a chunk. */
  public static ModelEmulatorOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder()
        .reasoningDialect(reasoningDialect)
        .tokensPerSecond(tokensPerSecond)
        .seed(seed)
        .modelName(modelName)
        .firstTokenDelayMs(firstTokenDelayMs)
        .tokensPerChunk(tokensPerChunk)
        .scriptOverride(scriptOverride)
        .serverProfile(serverProfile)
        .template(template);
  }

  /** True when the emulator imitates a real server's template rendering and quirks. */
  public boolean renders() {
    return template != null;
  }

  public ModelEmulatorOptions withReasoningDialect(EmulatedDialect value) {
    return toBuilder().reasoningDialect(value).build();
  }

  public ModelEmulatorOptions withTokensPerSecond(double value) {
    return toBuilder().tokensPerSecond(value).build();
  }

  public ModelEmulatorOptions withSeed(long value) {
    return toBuilder().seed(value).build();
  }

  public ModelEmulatorOptions withModelName(String value) {
    return toBuilder().modelName(value).build();
  }

  public ModelEmulatorOptions withFirstTokenDelayMs(long value) {
    return toBuilder().firstTokenDelayMs(value).build();
  }

  public ModelEmulatorOptions withTokensPerChunk(int value) {
    return toBuilder().tokensPerChunk(value).build();
  }

  public ModelEmulatorOptions withScriptOverride(Function<JsonObject, Script> value) {
    return toBuilder().scriptOverride(value).build();
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private EmulatedDialect reasoningDialect = EmulatedDialect.REASONING_CONTENT;
    private double tokensPerSecond;
    private long seed;
    private String modelName = DEFAULT_MODEL;
    private long firstTokenDelayMs;
    private int tokensPerChunk = 1;
    private Function<JsonObject, Script> scriptOverride;
    private ServerProfile serverProfile;
    private String template;

    private Builder() {}

    public Builder serverProfile(ServerProfile value) {
      serverProfile = value;
      return this;
    }

    public Builder template(String value) {
      template = value;
      return this;
    }

    public Builder reasoningDialect(EmulatedDialect value) {
      reasoningDialect = value;
      return this;
    }

    public Builder tokensPerSecond(double value) {
      tokensPerSecond = value;
      return this;
    }

    public Builder seed(long value) {
      seed = value;
      return this;
    }

    public Builder modelName(String value) {
      modelName = value;
      return this;
    }

    public Builder firstTokenDelayMs(long value) {
      firstTokenDelayMs = value;
      return this;
    }

    public Builder tokensPerChunk(int value) {
      tokensPerChunk = value;
      return this;
    }

    public Builder scriptOverride(Function<JsonObject, Script> value) {
      scriptOverride = value;
      return this;
    }

    public ModelEmulatorOptions build() {
      return new ModelEmulatorOptions(
          reasoningDialect, tokensPerSecond, seed, modelName, firstTokenDelayMs, tokensPerChunk,
          scriptOverride, serverProfile, template);
    }
  }
}
