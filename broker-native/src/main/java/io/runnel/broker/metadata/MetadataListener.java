package io.runnel.broker.metadata;

/** Told of every new image, in log order, on the metadata thread; must not block for long. */
@FunctionalInterface
public interface MetadataListener {
    void onImage(MetadataImage previous, MetadataImage current);
}
