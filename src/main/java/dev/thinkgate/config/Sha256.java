package dev.thinkgate.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 of a string's UTF-8 bytes, on one digest per thread, reused:
 * {@code MessageDigest.getInstance} walks the security providers and a clone copies the digest's
 * state, each costing more than hashing an API key or a guard prompt. {@code digest} resets the
 * instance for its next use. For API keys ({@link ApiKeyHash}) and verdict cache keys.
 */
public final class Sha256 {
  private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(Sha256::create);

  private Sha256() {}

  /** The 32 digest bytes of {@code text}'s UTF-8 encoding. */
  public static byte[] of(String text) {
    return DIGEST.get().digest(text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The 32 digest bytes of {@code prefix + text}'s UTF-8 encoding, without joining them first.
   * Only for a prefix that does not end inside a surrogate pair (then the joined string's
   * encoding is the two encodings one after the other).
   */
  public static byte[] of(String prefix, String text) {
    MessageDigest digest = DIGEST.get();
    if (!prefix.isEmpty()) {
      digest.update(prefix.getBytes(StandardCharsets.UTF_8));
    }
    return digest.digest(text.getBytes(StandardCharsets.UTF_8));
  }

  private static MessageDigest create() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }
}
