"""Material labels, and layer shares for elements whose material is a layer set.

A layer set (or its usage) is split: one row per layer, labelled with the
layer's material name, with volume, weight and count shared by layer
thickness. Lists, constituent sets and profile sets get one joined label
("A / B") and are not split, since they carry no reliable thickness share.
"""

from __future__ import annotations

import ifcopenshell

Layers = tuple[tuple[str | None, float], ...]
"""((material label, thickness share), ...) for a split layer set."""


def describe(material: ifcopenshell.entity_instance) -> str | Layers | None:
    """A label for a single material, or the layer shares of a layer set."""
    if material.is_a("IfcMaterialLayerSetUsage"):
        material = material.ForLayerSet
        if material is None:
            return None
    if material.is_a("IfcMaterialLayerSet"):
        layers = [
            (_name(layer.Material), float(layer.LayerThickness or 0.0))
            for layer in material.MaterialLayers or ()
        ]
        total = sum(thickness for _, thickness in layers)
        if not layers:
            return None
        if total <= 0:
            return _join(name for name, _ in layers)
        return tuple((name, thickness / total) for name, thickness in layers)
    if material.is_a("IfcMaterial"):
        return material.Name or None
    if material.is_a("IfcMaterialLayer"):
        return _name(material.Material)
    if material.is_a("IfcMaterialList"):
        return _join(_name(m) for m in material.Materials or ())
    if material.is_a("IfcMaterialProfileSetUsage"):
        material = material.ForProfileSet
        if material is None:
            return None
    if material.is_a("IfcMaterialProfileSet"):
        return _join(_name(p.Material) for p in material.MaterialProfiles or ())
    if material.is_a("IfcMaterialConstituentSet"):
        return _join(_name(c.Material) for c in material.MaterialConstituents or ())
    if material.is_a("IfcMaterialProfile") or material.is_a("IfcMaterialConstituent"):
        return _name(material.Material)
    return None


def _name(material: ifcopenshell.entity_instance | None) -> str | None:
    return (material.Name or None) if material is not None else None


def _join(names) -> str | None:
    unique = list(dict.fromkeys(n for n in names if n))
    return " / ".join(unique) or None
