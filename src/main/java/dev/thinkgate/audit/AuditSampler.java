package dev.thinkgate.audit;

import dev.thinkgate.policy.AuditPolicy;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.random.RandomGenerator;

/**
 * Decides per request whether it is recorded ({@link AuditPolicy#sampleRate()}) and what the
 * record's {@code prompt} field holds: the text, or {@code sha256:<hex>} of it when the policy
 * redacts prompts. Thread-safe; the generator is seedable for reproducible tests.
 */
public final class AuditSampler {

  private final RandomGenerator random;

  public AuditSampler(RandomGenerator random) {
    this.random = random;
  }

  /** True with probability {@code policy.sampleRate()}; always for 1, never for 0. */
  public boolean shouldRecord(AuditPolicy policy) {
    return shouldRecord(random, policy);
  }

  /** {@link #shouldRecord(AuditPolicy)} drawn from {@code random}. */
  public static boolean shouldRecord(RandomGenerator random, AuditPolicy policy) {
    return chance(random, policy.sampleRate());
  }

  /** The {@code prompt} field: the text, or its hash when the policy redacts; null stays null. */
  public String promptField(AuditPolicy policy, String promptText) {
    if (promptText == null) {
      return null;
    }
    return policy.redactPrompt() ? sha256(promptText) : promptText;
  }

  /**
   * The prompt of a request body: the last {@code user} message of a chat request (string
   * content, or its text parts joined), or the {@code prompt} of a completions request; null when
   * there is none.
   */
  public static String promptText(JsonObject body) {
    return dev.thinkgate.api.openai.ChatMessages.lastUserText(body);
  }

  /** {@code sha256:<64 hex>} of the UTF-8 bytes. */
  public static String sha256(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  static boolean chance(RandomGenerator random, double rate) {
    if (rate <= 0) {
      return false;
    }
    if (rate >= 1) {
      return true;
    }
    // RandomGenerator implementations such as SplittableRandom are not thread-safe.
    synchronized (random) {
      return random.nextDouble() < rate;
    }
  }
}
