package io.runnel.broker;
final class Placeholder {}
