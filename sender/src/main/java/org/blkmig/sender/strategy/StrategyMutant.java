// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender.strategy;

/**
 * A seeded bug of a strategy: the strategy with one decision broken. {@code --mutant NAME} switches
 * it on under {@code --profile} of its strategy; the kill matrix must catch it.
 *
 * @param name the command-line name, lower case with dashes, distinct from the catalogue's
 * @param description the bug, for people
 * @param broken the strategy with the bug in place (its name is the strategy's own)
 */
public record StrategyMutant(String name, String description, Strategy broken) {}
