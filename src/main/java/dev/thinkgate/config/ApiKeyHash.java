package dev.thinkgate.config;

import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The {@code sha256:<64 lower-case hex>} form in which API keys are stored in configuration.
 * Keys themselves are never stored, logged or put in exceptions; only their hashes are.
 */
public final class ApiKeyHash {
  public static final String PREFIX = "sha256:";
  private static final Pattern WELL_FORMED = Pattern.compile("sha256:[0-9a-f]{64}");

  private ApiKeyHash() {}

  /** The configuration form of {@code key}'s SHA-256. */
  public static String of(String key) {
    return PREFIX + HexFormat.of().formatHex(digest(key));
  }

  /** SHA-256 of the key's UTF-8 bytes. */
  public static byte[] digest(String key) {
    return Sha256.of(key);
  }

  /** True for {@code sha256:} followed by exactly 64 lower-case hex digits. */
  public static boolean isWellFormed(String hash) {
    return hash != null && WELL_FORMED.matcher(hash).matches();
  }

  /** The 32 digest bytes of a well-formed hash. */
  public static byte[] bytes(String wellFormedHash) {
    if (!isWellFormed(wellFormedHash)) {
      throw new IllegalArgumentException("not a sha256:<64 hex> hash");
    }
    return HexFormat.of().parseHex(wellFormedHash.substring(PREFIX.length()));
  }

  /** A short prefix for display, e.g. {@code sha256:1a2b3c4d…}, enough to tell hashes apart. */
  public static String masked(String hash) {
    if (hash == null) {
      return null;
    }
    int keep = Math.min(hash.length(), PREFIX.length() + 8);
    return hash.substring(0, keep) + "…";
  }
}
