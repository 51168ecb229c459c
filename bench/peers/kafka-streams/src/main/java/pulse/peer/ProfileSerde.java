package pulse.peer;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** The store's value format: a profile's compact bytes. */
public final class ProfileSerde implements Serde<Profile> {
  @Override
  public Serializer<Profile> serializer() {
    return (topic, profile) -> profile == null ? null : profile.toBytes();
  }

  @Override
  public Deserializer<Profile> deserializer() {
    return (topic, bytes) -> bytes == null ? null : Profile.fromBytes(bytes);
  }
}
