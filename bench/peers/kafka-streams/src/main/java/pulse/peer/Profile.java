package pulse.peer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * A customer's profile in the store: lifetime totals, the newest event ids (tracker retries
 * count once), the newest active days and purchase days (epoch days), the lapse episode, the
 * last ready-to-buy day and the due time of the customer's timer. Stored as compact bytes.
 */
public final class Profile {
  static final int EVENT_IDS_KEPT = 32;
  static final int ACTIVE_DAYS_KEPT = 17;
  static final int PURCHASE_DAYS_KEPT = 9;

  int visits;
  int purchases;
  long moneyMinor;
  int lateEvents;
  final ArrayDeque<String> eventIds = new ArrayDeque<>();
  int[] activeDays = new int[0];
  int[] purchaseDays = new int[0];
  boolean lapsed;
  int episode;
  int lastReadyToBuyDay = Integer.MIN_VALUE;
  long dueAtMs = -1L;

  boolean seen(String eventId) {
    return eventIds.contains(eventId);
  }

  void remember(String eventId) {
    eventIds.addLast(eventId);
    if (eventIds.size() > EVENT_IDS_KEPT) eventIds.removeFirst();
  }

  /** Adds a day to a sorted array of distinct days, keeping the newest `kept`. */
  static int[] withDay(int[] days, int day, int kept) {
    int at = Arrays.binarySearch(days, day);
    if (at >= 0) return days;
    int insert = -at - 1;
    int[] grown = new int[days.length + 1];
    System.arraycopy(days, 0, grown, 0, insert);
    grown[insert] = day;
    System.arraycopy(days, insert, grown, insert + 1, days.length - insert);
    return grown.length > kept ? Arrays.copyOfRange(grown, grown.length - kept, grown.length) : grown;
  }

  byte[] toBytes() {
    byte[][] ids = new byte[eventIds.size()][];
    int size = 4 * 4 + 8 + 1 + 4 + 8 + 4 + 4 * (activeDays.length + purchaseDays.length) + 4;
    int index = 0;
    for (String id : eventIds) {
      ids[index] = id.getBytes(StandardCharsets.UTF_8);
      size += 2 + ids[index].length;
      index += 1;
    }
    ByteBuffer buffer = ByteBuffer.allocate(size);
    buffer.putInt(visits).putInt(purchases).putLong(moneyMinor).putInt(lateEvents);
    buffer.put((byte) (lapsed ? 1 : 0)).putInt(episode).putInt(lastReadyToBuyDay).putLong(dueAtMs);
    buffer.putShort((short) activeDays.length).putShort((short) purchaseDays.length);
    for (int day : activeDays) buffer.putInt(day);
    for (int day : purchaseDays) buffer.putInt(day);
    buffer.putInt(ids.length);
    for (byte[] id : ids) buffer.putShort((short) id.length).put(id);
    return buffer.array();
  }

  static Profile fromBytes(byte[] bytes) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    Profile profile = new Profile();
    profile.visits = buffer.getInt();
    profile.purchases = buffer.getInt();
    profile.moneyMinor = buffer.getLong();
    profile.lateEvents = buffer.getInt();
    profile.lapsed = buffer.get() == 1;
    profile.episode = buffer.getInt();
    profile.lastReadyToBuyDay = buffer.getInt();
    profile.dueAtMs = buffer.getLong();
    profile.activeDays = new int[buffer.getShort()];
    profile.purchaseDays = new int[buffer.getShort()];
    for (int i = 0; i < profile.activeDays.length; i += 1) profile.activeDays[i] = buffer.getInt();
    for (int i = 0; i < profile.purchaseDays.length; i += 1) profile.purchaseDays[i] = buffer.getInt();
    int ids = buffer.getInt();
    for (int i = 0; i < ids; i += 1) {
      byte[] id = new byte[buffer.getShort()];
      buffer.get(id);
      profile.eventIds.addLast(new String(id, StandardCharsets.UTF_8));
    }
    return profile;
  }
}
